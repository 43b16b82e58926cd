with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

traffic_sources as (

    select * from {{ ref('int_ga4__session_traffic_sources') }}

),

session_events as (

    select
        {{ ga4_session_key('user_pseudo_id', 'ga_session_id') }} as session_key,
        *

    from events
    where ga_session_id is not null

),

aggregated as (

    select
        session_key,
        user_pseudo_id,
        ga_session_id,
        max(user_id) as user_id,
        max(ga_session_number) as session_number,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        min(event_date) as session_date,
        max(case when session_engaged then 1 else 0 end) = 1 as is_engaged,
        count(case when event_name = 'first_visit' then 1 end) > 0 as is_first_visit,
        cast(coalesce(sum(engagement_time_msec), 0) as {{ dbt.type_bigint() }})
            as engagement_time_msec,
        count(*) as events,
        count(case when event_name = 'page_view' then 1 end) as page_views,
        count(
            case
                when
                    event_name = 'page_view'
                    and {{ url_path('page_location') }} = '/pricing'
                    then 1
            end
        ) as pricing_page_views,
        count(case when event_name = 'generate_lead' then 1 end) as generate_leads,
        count(case when event_name = 'sign_up' then 1 end) as sign_ups,
        count(case when event_name = 'begin_trial' then 1 end) as begin_trials,
        count(case when event_name = 'purchase' then 1 end) as purchases,
        coalesce(
            sum(case when event_name = 'purchase' then purchase_revenue end), 0
        ) as purchase_revenue

    from session_events
    group by session_key, user_pseudo_id, ga_session_id

),

first_events as (

    -- device and location of the event that opened the session
    select
        session_key,
        device_category,
        operating_system,
        browser,
        country,
        city,
        last_click_source,
        last_click_medium,
        last_click_campaign,
        last_click_channel_group

    from session_events
    where true
    qualify row_number() over (
            partition by session_key order by event_at, batch_event_index, event_name
        ) = 1

),

final as (

    select
        aggregated.session_key,
        aggregated.user_pseudo_id,
        aggregated.user_id,
        aggregated.ga_session_id,
        aggregated.session_number,
        aggregated.started_at,
        aggregated.ended_at,
        aggregated.session_date,
        traffic_sources.landing_page_location,
        traffic_sources.landing_page_path,
        traffic_sources.source,
        traffic_sources.medium,
        traffic_sources.campaign,
        traffic_sources.content,
        traffic_sources.term,
        traffic_sources.gclid,
        traffic_sources.fbclid,
        traffic_sources.default_channel_group,
        first_events.last_click_source,
        first_events.last_click_medium,
        first_events.last_click_campaign,
        first_events.last_click_channel_group,
        first_events.device_category,
        first_events.operating_system,
        first_events.browser,
        first_events.country,
        first_events.city,
        aggregated.is_first_visit,
        aggregated.is_engaged,
        aggregated.engagement_time_msec,
        aggregated.events,
        aggregated.page_views,
        aggregated.pricing_page_views,
        aggregated.generate_leads,
        aggregated.sign_ups,
        aggregated.begin_trials,
        aggregated.purchases,
        aggregated.purchase_revenue

    from aggregated
    inner join traffic_sources
        on aggregated.session_key = traffic_sources.session_key
    inner join first_events
        on aggregated.session_key = first_events.session_key

)

select * from final
