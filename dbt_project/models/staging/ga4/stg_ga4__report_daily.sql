with

source as (

    select * from {{ source('ga4', 'report_daily') }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            "property_id", "'|'",
            dbt.safe_cast("date", api.Column.translate_type("string")), "'|'",
            "coalesce(session_source_medium, '')", "'|'",
            "coalesce(session_campaign_name, '')", "'|'",
            "coalesce(device_category, '')", "'|'",
            "coalesce(country, '')",
        ])) }} as report_daily_key,
        property_id,
        date as report_date,
        session_source_medium,
        session_campaign_name,
        device_category,
        country,
        sessions,
        total_users,
        key_events,
        total_revenue,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
