with

source as (

    select * from {{ source('google_ads', 'ads') }}

),

renamed as (

    select
        {{ dbt.safe_cast("ad_id", api.Column.translate_type("string")) }} as ad_id,
        {{ dbt.safe_cast("ad_group_id", api.Column.translate_type("string")) }} as ad_group_id,
        {{ dbt.safe_cast("campaign_id", api.Column.translate_type("string")) }} as campaign_id,
        {{ dbt.safe_cast("customer_id", api.Column.translate_type("string")) }} as customer_id,
        name as ad_name,
        type as ad_type,
        status,
        final_urls,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
