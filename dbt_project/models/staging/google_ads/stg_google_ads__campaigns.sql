with

source as (

    select * from {{ source('google_ads', 'campaigns') }}

),

renamed as (

    select
        {{ dbt.safe_cast("campaign_id", api.Column.translate_type("string")) }} as campaign_id,
        {{ dbt.safe_cast("customer_id", api.Column.translate_type("string")) }} as customer_id,
        name as campaign_name,
        status,
        advertising_channel_type,
        bidding_strategy_type,
        cast(start_date_time as date) as start_date,
        -- 2037-12-30 means "no end date" (the API's value), kept as sent
        cast(end_date_time as date) as end_date,
        {{ dbt.safe_cast("budget_id", api.Column.translate_type("string")) }} as budget_id,
        budget_amount_micros,
        currency_code as currency,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
