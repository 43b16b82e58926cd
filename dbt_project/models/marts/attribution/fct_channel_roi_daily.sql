-- Spend and what it bought, per day × attribution model × channel × campaign: spend from the ad
-- platforms (on the day it was spent), leads / customers / revenue credited by each model (on
-- the conversion's day). Campaigns join on the UTM campaign the ads' sessions carry. The
-- rule-based models come from fct_attribution_credits; the data-driven ones (markov, shapley)
-- from scores.attribution_credits (empty until ML has scored), in the same shape.
{%- set rule_based = [
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"
] %}
with

ad_performance as (

    select * from {{ ref('fct_ad_performance_daily') }}

),

ad_campaigns as (

    select * from {{ ref('dim_ad_campaigns') }}

),

credits as (

    select
        conversion_date,
        attribution_model,
        channel,
        campaign,
        conversion_type,
        credit,
        attributed_revenue

    from {{ ref('fct_attribution_credits') }}

    union all

    select
        conversion_date,
        attribution_model,
        channel,
        campaign,
        conversion_type,
        credit,
        attributed_revenue

    from {{ source('scores', 'attribution_credits') }}

),

spend_by_campaign as (

    select
        ad_performance.date as date_day,
        ad_performance.channel,
        ad_campaigns.utm_campaign as campaign,
        sum(ad_performance.spend) as spend,
        sum(ad_performance.impressions) as impressions,
        sum(ad_performance.clicks) as clicks

    from ad_performance
    inner join ad_campaigns on ad_performance.ad_campaign_key = ad_campaigns.ad_campaign_key
    group by 1, 2, 3

),

attribution_models as (

    {% for model in rule_based %}
        select '{{ model }}' as attribution_model
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

    union all

    select distinct attribution_model
    from {{ source('scores', 'attribution_credits') }}

),

spend_per_model as (

    select
        spend_by_campaign.*,
        attribution_models.attribution_model

    from spend_by_campaign
    cross join attribution_models

),

credited as (

    select
        conversion_date as date_day,
        attribution_model,
        channel,
        coalesce(campaign, '(not set)') as campaign,
        sum(case when conversion_type = 'lead' then credit else 0 end) as leads,
        sum(case when conversion_type = 'won_deal' then credit else 0 end) as customers,
        sum(case when conversion_type = 'purchase' then credit else 0 end) as purchases,
        sum(attributed_revenue) as attributed_revenue

    from credits
    group by 1, 2, 3, 4

),

joined as (

    select
        coalesce(spend_per_model.date_day, credited.date_day) as date_day,
        coalesce(spend_per_model.attribution_model, credited.attribution_model)
            as attribution_model,
        coalesce(spend_per_model.channel, credited.channel) as channel,
        coalesce(spend_per_model.campaign, credited.campaign) as campaign,
        coalesce(spend_per_model.spend, 0) as spend,
        coalesce(spend_per_model.impressions, 0) as impressions,
        coalesce(spend_per_model.clicks, 0) as clicks,
        coalesce(credited.leads, 0) as leads,
        coalesce(credited.customers, 0) as customers,
        coalesce(credited.purchases, 0) as purchases,
        coalesce(credited.attributed_revenue, 0) as attributed_revenue

    from spend_per_model
    full outer join credited
        on
            spend_per_model.date_day = credited.date_day
            and spend_per_model.attribution_model = credited.attribution_model
            and spend_per_model.channel = credited.channel
            and spend_per_model.campaign = credited.campaign

),

final as (

    select
        {{ channel_roi_columns('date_day') }}

    from joined

)

select * from final
