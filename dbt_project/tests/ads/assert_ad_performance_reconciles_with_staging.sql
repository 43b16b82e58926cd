-- Every staged ad-day reaches the mart once: spend, impressions and clicks per platform and day
-- equal the platforms' own rows exactly.
with

facebook_staged as (

    select
        'facebook_ads' as platform,
        date_day,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(*) as ad_rows
    from {{ ref('stg_facebook_ads__insights') }}
    group by date_day

),

google_staged as (

    select
        'google_ads' as platform,
        date_day,
        sum(cost) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(*) as ad_rows
    from {{ ref('stg_google_ads__ad_metrics_daily') }}
    group by date_day

),

staged as (

    select * from facebook_staged
    union all
    select * from google_staged

),

mart as (

    select
        platform,
        date as date_day,  -- noqa: RF04
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(*) as ad_rows
    from {{ ref('fct_ad_performance_daily') }}
    group by platform, date

)

select
    coalesce(staged.platform, mart.platform) as platform,
    coalesce(staged.date_day, mart.date_day) as date_day,
    staged.spend as staged_spend,
    mart.spend as mart_spend,
    staged.impressions as staged_impressions,
    mart.impressions as mart_impressions,
    staged.clicks as staged_clicks,
    mart.clicks as mart_clicks
from staged
full outer join mart
    on
        staged.platform = mart.platform
        and staged.date_day = mart.date_day
where
    staged.spend is distinct from mart.spend
    or staged.impressions is distinct from mart.impressions
    or staged.clicks is distinct from mart.clicks
    or staged.ad_rows is distinct from mart.ad_rows
