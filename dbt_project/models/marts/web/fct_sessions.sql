{{ config(
    partition_by={'field': 'session_date', 'data_type': 'date'}
    if target.type == 'bigquery' else none,
) }}

with

sessions as (

    select * from {{ ref('int_ga4__sessions') }}

),

final as (

    select
        session_key,
        user_pseudo_id,
        user_id,
        ga_session_id,
        session_number,
        started_at,
        ended_at,
        session_date,
        landing_page_location,
        landing_page_path,
        source,
        medium,
        campaign,
        content,
        term,
        gclid,
        fbclid,
        default_channel_group,
        last_click_source,
        last_click_medium,
        last_click_campaign,
        last_click_channel_group,
        device_category,
        operating_system,
        browser,
        country,
        city,
        is_first_visit,
        is_engaged,
        engagement_time_msec,
        events,
        page_views,
        pricing_page_views,
        generate_leads,
        sign_ups,
        begin_trials,
        purchases,
        purchase_revenue

    from sessions

)

select * from final
