with

source as (

    select * from {{ source('facebook_ads', 'insights') }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat(["account_id", "'|'", "ad_id", "'|'",
            dbt.safe_cast("date_start", api.Column.translate_type("string"))])) }}
            as insights_key,
        date_start as date_day,
        account_id,
        campaign_id,
        adset_id,
        ad_id,
        campaign_name,
        adset_name,
        ad_name,
        account_currency as currency,
        spend,
        impressions,
        clicks,
        reach,
        inline_link_clicks,
        leads,
        lead_value,
        purchases,
        purchase_value,
        leads_1d_click,
        lead_value_1d_click,
        purchases_1d_click,
        purchase_value_1d_click,
        leads_7d_click,
        lead_value_7d_click,
        purchases_7d_click,
        purchase_value_7d_click,
        leads_28d_click,
        lead_value_28d_click,
        purchases_28d_click,
        purchase_value_28d_click,
        leads_1d_view,
        lead_value_1d_view,
        purchases_1d_view,
        purchase_value_1d_view,
        attribution_windows,
        actions as actions_json,
        action_values as action_values_json,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
