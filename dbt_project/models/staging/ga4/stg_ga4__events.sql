with

source as (

    select * from {{ source('ga4', 'events') }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            "user_pseudo_id",
            dbt.safe_cast("event_timestamp", api.Column.translate_type("string")),
            "event_name",
            dbt.safe_cast("coalesce(batch_event_index, 0)", api.Column.translate_type("string")),
        ])) }} as event_key,
        _mdp_partition_date as event_date,
        {{ timestamp_from_micros('event_timestamp') }} as event_at,
        event_name,
        user_pseudo_id,
        user_id,
        {{ ga4_event_param('ga_session_id', 'int') }} as ga_session_id,
        {{ ga4_event_param('ga_session_number', 'int') }} as ga_session_number,
        {{ ga4_event_param('page_location') }} as page_location,
        {{ ga4_event_param('page_referrer') }} as page_referrer,
        device.category as device_category,
        geo.country as country,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
