-- Meta and Google Ads delivery at one grain (day × platform × ad); each platform's mapping
-- lives in its own CTE. Names are the current ones from the platform's objects.
with

facebook_insights as (

    select * from {{ ref('stg_facebook_ads__insights') }}

),

facebook_ads as (

    select * from {{ ref('stg_facebook_ads__ads') }}

),

facebook_adsets as (

    select * from {{ ref('stg_facebook_ads__adsets') }}

),

google_metrics as (

    select * from {{ ref('stg_google_ads__ad_metrics_daily') }}

),

google_ads as (

    select * from {{ ref('stg_google_ads__ads') }}

),

google_ad_groups as (

    select * from {{ ref('stg_google_ads__ad_groups') }}

),

campaigns as (

    select * from {{ ref('int_ad_campaigns_unioned') }}

),

facebook_mapped as (

    select
        facebook_insights.date_day,
        'facebook_ads' as platform,
        facebook_insights.account_id,
        facebook_insights.campaign_id,
        facebook_insights.campaign_name,
        facebook_insights.adset_id as ad_group_id,
        coalesce(facebook_adsets.adset_name, facebook_insights.adset_name) as ad_group_name,
        facebook_insights.ad_id,
        coalesce(facebook_ads.ad_name, facebook_insights.ad_name) as ad_name,
        facebook_insights.currency,
        cast(facebook_insights.spend as {{ dbt.type_numeric() }}) as spend,
        facebook_insights.impressions,
        facebook_insights.clicks,
        facebook_insights.inline_link_clicks as link_clicks,
        facebook_insights.reach,
        -- Meta's 7-day-click window (view-through conversions left out), leads + purchases
        cast(
            facebook_insights.leads_7d_click + facebook_insights.purchases_7d_click
            as {{ type_double() }}
        ) as platform_conversions,
        cast(
            facebook_insights.lead_value_7d_click + facebook_insights.purchase_value_7d_click
            as {{ type_double() }}
        ) as platform_conversion_value,
        {{ var('meta_restatement_days') }} as restatement_days

    from facebook_insights
    left join facebook_ads on facebook_insights.ad_id = facebook_ads.ad_id
    left join facebook_adsets on facebook_insights.adset_id = facebook_adsets.adset_id

),

google_mapped as (

    select
        google_metrics.date_day,
        'google_ads' as platform,
        google_metrics.customer_id as account_id,
        google_metrics.campaign_id,
        cast(null as {{ api.Column.translate_type('string') }}) as campaign_name,
        google_metrics.ad_group_id,
        google_ad_groups.ad_group_name,
        google_metrics.ad_id,
        google_ads.ad_name,
        google_metrics.currency,
        -- cost is already in the account currency: never divide cost_micros again
        cast(google_metrics.cost as {{ dbt.type_numeric() }}) as spend,
        google_metrics.impressions,
        google_metrics.clicks,
        google_metrics.clicks as link_clicks,
        cast(null as {{ dbt.type_bigint() }}) as reach,
        cast(google_metrics.conversions as {{ type_double() }}) as platform_conversions,
        cast(google_metrics.conversions_value as {{ type_double() }}) as platform_conversion_value,
        {{ var('google_ads_conversion_window_days') }} as restatement_days

    from google_metrics
    left join google_ads
        on
            google_metrics.ad_group_id = google_ads.ad_group_id
            and google_metrics.ad_id = google_ads.ad_id
    left join google_ad_groups on google_metrics.ad_group_id = google_ad_groups.ad_group_id

),

unioned as (

    select * from facebook_mapped
    union all
    select * from google_mapped

),

final as (

    select
        unioned.date_day,
        unioned.platform,
        unioned.account_id,
        {{ dbt.hash(dbt.concat(["unioned.platform", "'|'", "unioned.campaign_id"])) }}
            as ad_campaign_key,
        unioned.campaign_id,
        coalesce(campaigns.campaign_name, unioned.campaign_name) as campaign_name,
        unioned.ad_group_id,
        unioned.ad_group_name,
        unioned.ad_id,
        unioned.ad_name,
        campaigns.channel,
        unioned.currency,
        unioned.spend,
        unioned.impressions,
        unioned.clicks,
        unioned.link_clicks,
        unioned.reach,
        unioned.platform_conversions,
        unioned.platform_conversion_value,
        unioned.restatement_days

    from unioned
    left join campaigns
        on
            unioned.platform = campaigns.platform
            and unioned.campaign_id = campaigns.campaign_id

)

select * from final
