{#- The event_params the marts read, unnested once here: key → (value type, column name). -#}
{%- set event_params = [
    ('ga_session_id', 'int', 'ga_session_id'),
    ('ga_session_number', 'int', 'ga_session_number'),
    ('page_location', 'string', 'page_location'),
    ('page_referrer', 'string', 'page_referrer'),
    ('page_title', 'string', 'page_title'),
    ('engagement_time_msec', 'int', 'engagement_time_msec'),
    ('value', 'number', 'event_value'),
    ('currency', 'string', 'currency'),
    ('transaction_id', 'string', 'transaction_id'),
    ('form_id', 'string', 'form_id'),
    ('form_name', 'string', 'form_name'),
    ('experiment_id', 'string', 'experiment_id'),
    ('variant_id', 'string', 'variant_id'),
    ('source', 'string', 'event_source'),
    ('medium', 'string', 'event_medium'),
    ('campaign', 'string', 'event_campaign'),
    ('content', 'string', 'event_content'),
    ('term', 'string', 'event_term'),
] -%}

with

source as (

    {%- if target.type == 'bigquery' and env_var('MDP_BIGQUERY__GA4_EXPORT_DATASET', '') != '' %}

        -- the customer's export read in place: the daily tables only (never events_intraday_*),
        -- each row tagged with its table's day like the raw copy is
        select
            *,
            parse_date('%Y%m%d', _table_suffix) as _mdp_partition_date,
            cast(null as timestamp) as _mdp_loaded_at
        from {{ source('ga4_export', 'events') }}
        where regexp_contains(_table_suffix, r'^[0-9]{8}$')

    {%- else %}

        select * from {{ source('ga4', 'events') }}

    {%- endif %}

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
        {%- for key, value_type, column in event_params %}
            {{ ga4_event_param(key, value_type) }} as {{ column }},
        {%- endfor %}
        {{ ga4_event_param('session_engaged') }} = '1' as session_engaged,
        batch_event_index,
        collected_traffic_source.manual_source as manual_source,
        collected_traffic_source.manual_medium as manual_medium,
        collected_traffic_source.manual_campaign_id as manual_campaign_id,
        collected_traffic_source.manual_campaign_name as manual_campaign_name,
        collected_traffic_source.manual_content as manual_content,
        collected_traffic_source.manual_term as manual_term,
        collected_traffic_source.gclid as gclid,
        session_traffic_source_last_click.cross_channel_campaign.source as last_click_source,
        session_traffic_source_last_click.cross_channel_campaign.medium as last_click_medium,
        session_traffic_source_last_click.cross_channel_campaign.campaign_name
            as last_click_campaign,
        session_traffic_source_last_click.cross_channel_campaign.default_channel_group
            as last_click_channel_group,
        traffic_source.source as first_user_source,
        traffic_source.medium as first_user_medium,
        traffic_source.name as first_user_campaign,
        device.category as device_category,
        device.operating_system as operating_system,
        device.web_info.browser as browser,
        geo.country as country,
        geo.city as city,
        ecommerce.transaction_id as ecommerce_transaction_id,
        ecommerce.purchase_revenue as purchase_revenue,
        ecommerce.purchase_revenue_in_usd as purchase_revenue_in_usd,
        ecommerce.total_item_quantity as item_quantity,
        ecommerce.unique_items as unique_items,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
