-- Meta and Google Ads campaigns at one shape; each platform's mapping lives in its own CTE.
with

facebook_campaigns as (

    select * from {{ ref('stg_facebook_ads__campaigns') }}

),

facebook_insights as (

    select * from {{ ref('stg_facebook_ads__insights') }}

),

google_campaigns as (

    select * from {{ ref('stg_google_ads__campaigns') }}

),

facebook_account_currencies as (

    -- Meta reports the account currency on insights only
    select
        account_id,
        max(currency) as currency
    from facebook_insights
    group by account_id

),

facebook_mapped as (

    select
        'facebook_ads' as platform,
        facebook_campaigns.account_id,
        facebook_campaigns.campaign_id,
        facebook_campaigns.campaign_name,
        facebook_campaigns.status,
        facebook_campaigns.objective as campaign_type,
        facebook_account_currencies.currency,
        -- Meta ads link with utm_source facebook or instagram (the placement), medium paid_social
        'paid_social' as utm_medium,
        {{ default_channel_group("'facebook'", "'paid_social'",
            "facebook_campaigns.campaign_name", "'SOURCE_CATEGORY_SOCIAL'") }}
            as channel,
        cast(facebook_campaigns.started_at as date) as start_date,
        cast(facebook_campaigns.stopped_at as date) as end_date

    from facebook_campaigns
    left join facebook_account_currencies
        on facebook_campaigns.account_id = facebook_account_currencies.account_id

),

google_mapped as (

    select
        'google_ads' as platform,
        customer_id as account_id,
        campaign_id,
        campaign_name,
        status,
        advertising_channel_type as campaign_type,
        currency,
        'cpc' as utm_medium,
        {{ google_ads_channel_group('advertising_channel_type', 'campaign_name') }} as channel,
        start_date,
        -- the API's "no end date"
        case when end_date < cast('2037-12-30' as date) then end_date end as end_date

    from google_campaigns

),

unioned as (

    select * from facebook_mapped
    union all
    select * from google_mapped

),

final as (

    select
        {{ dbt.hash(dbt.concat(["platform", "'|'", "campaign_id"])) }} as ad_campaign_key,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        status,
        status in ('ACTIVE', 'ENABLED') as is_active,
        campaign_type,
        channel,
        currency,
        utm_medium,
        campaign_name as utm_campaign,
        campaign_id as utm_id,
        start_date,
        end_date

    from unioned

)

select * from final
