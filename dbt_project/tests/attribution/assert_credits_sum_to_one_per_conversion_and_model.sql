-- Every conversion's credits sum to 1 under every attribution model.
select
    conversion_id,
    attribution_model,
    sum(credit) as total_credit

from {{ ref('fct_attribution_credits') }}
group by conversion_id, attribution_model
having abs(sum(credit) - 1) > 0.000001
