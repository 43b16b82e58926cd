with

source as (

    select * from {{ source('google_ads', 'ad_metrics_daily') }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("customer_id", api.Column.translate_type("string")), "'|'",
            dbt.safe_cast("ad_id", api.Column.translate_type("string")), "'|'",
            dbt.safe_cast("date", api.Column.translate_type("string")),
        ])) }} as ad_metrics_daily_key,
        date as date_day,
        {{ dbt.safe_cast("customer_id", api.Column.translate_type("string")) }} as customer_id,
        {{ dbt.safe_cast("campaign_id", api.Column.translate_type("string")) }} as campaign_id,
        {{ dbt.safe_cast("ad_group_id", api.Column.translate_type("string")) }} as ad_group_id,
        {{ dbt.safe_cast("ad_id", api.Column.translate_type("string")) }} as ad_id,
        currency_code as currency,
        -- cost is already in the account currency (the connector scales cost_micros exactly)
        cost,
        cost_micros,
        impressions,
        clicks,
        conversions,
        conversions_value,
        all_conversions,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
