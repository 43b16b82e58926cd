with

account_months as (

    select * from {{ ref('int_account_months_spined') }}
    where is_reported_month

),

compared as (

    select
        account_month_key,
        account_id,
        month_start,
        first_mrr_month,
        plan,
        seats,
        mrr,
        coalesce(
            lag(mrr) over (partition by account_id order by month_start), 0
        ) as previous_mrr,
        coalesce(
            max(case when mrr > 0 then 1 else 0 end) over (
                partition by account_id
                order by month_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) = 1 as had_mrr_before

    from account_months

),

classified as (

    select
        *,
        case
            when previous_mrr = 0 and mrr > 0 and not had_mrr_before then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churned'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            when mrr > 0 then 'retained'
            else 'inactive'
        end as movement_type

    from compared

),

final as (

    select
        account_month_key as mrr_monthly_key,
        account_id,
        month_start,
        first_mrr_month,
        {{ dbt.datediff('first_mrr_month', 'month_start', 'month') }}
            as months_since_first_mrr,
        plan,
        seats,
        mrr,
        previous_mrr,
        mrr - previous_mrr as mrr_change,
        movement_type,
        case when movement_type = 'new' then mrr else 0 end as new_mrr,
        case when movement_type = 'expansion' then mrr - previous_mrr else 0 end as expansion_mrr,
        case
            when movement_type = 'contraction' then mrr - previous_mrr else 0
        end as contraction_mrr,
        case when movement_type = 'churned' then -previous_mrr else 0 end as churned_mrr,
        case when movement_type = 'reactivation' then mrr else 0 end as reactivation_mrr,
        mrr > 0 as is_active

    from classified

)

select * from final
