with

campaigns as (

    select * from {{ ref('int_ad_campaigns_unioned') }}

),

performance as (

    select * from {{ ref('int_ad_performance_unioned') }}

),

delivery_aggregated as (

    select
        ad_campaign_key,
        max(currency) as currency,
        min(case when impressions > 0 or spend > 0 then date_day end) as first_active_date,
        max(case when impressions > 0 or spend > 0 then date_day end) as last_active_date,
        sum(spend) as total_spend,
        sum(impressions) as total_impressions,
        sum(clicks) as total_clicks
    from performance
    group by ad_campaign_key

),

final as (

    select
        campaigns.ad_campaign_key,
        campaigns.platform,
        campaigns.account_id,
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.status,
        campaigns.is_active,
        campaigns.campaign_type,
        campaigns.channel,
        coalesce(campaigns.currency, delivery_aggregated.currency) as currency,
        campaigns.utm_medium,
        campaigns.utm_campaign,
        campaigns.utm_id,
        campaigns.start_date,
        campaigns.end_date,
        delivery_aggregated.first_active_date,
        delivery_aggregated.last_active_date,
        coalesce(delivery_aggregated.total_spend, 0) as total_spend,
        coalesce(delivery_aggregated.total_impressions, 0) as total_impressions,
        coalesce(delivery_aggregated.total_clicks, 0) as total_clicks

    from campaigns
    left join delivery_aggregated
        on campaigns.ad_campaign_key = delivery_aggregated.ad_campaign_key

)

select * from final
