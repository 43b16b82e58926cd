with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

source_categories as (

    select * from {{ ref('ga4_source_categories') }}

),

session_events as (

    select
        {{ ga4_session_key('user_pseudo_id', 'ga_session_id') }} as session_key,
        event_name,
        event_at,
        batch_event_index,
        page_location,
        -- collected_traffic_source is GA4's newer field; the event params are set on the events
        -- that open a session for untagged sources too (organic search, referral).
        -- source and content are GA4's names, though keywords in some dialects (RF04).
        coalesce(manual_source, event_source) as source,  -- noqa: RF04
        coalesce(manual_medium, event_medium) as medium,
        coalesce(manual_campaign_name, event_campaign) as campaign,
        coalesce(manual_content, event_content) as content,  -- noqa: RF04
        coalesce(manual_term, event_term) as term,
        gclid

    from events
    where ga_session_id is not null

),

sessions as (

    select session_key
    from session_events
    group by session_key

),

first_sourced_events as (

    -- GA4's session source: the traffic source of the session's first event that has one
    select
        session_key,
        source,
        medium,
        campaign,
        content,
        term,
        gclid

    from session_events
    where source is not null or gclid is not null
    qualify row_number() over (
            partition by session_key order by event_at, batch_event_index, event_name
        ) = 1

),

landing_pages as (

    select
        session_key,
        page_location as landing_page_location

    from session_events
    where event_name = 'page_view'
    qualify row_number() over (
            partition by session_key order by event_at, batch_event_index
        ) = 1

),

click_ids_parsed as (

    select
        sessions.session_key,
        landing_pages.landing_page_location,
        first_sourced_events.source as collected_source,
        first_sourced_events.medium as collected_medium,
        first_sourced_events.campaign as collected_campaign,
        first_sourced_events.content,
        first_sourced_events.term,
        coalesce(
            first_sourced_events.gclid,
            {{ url_query_param('landing_pages.landing_page_location', 'gclid') }}
        ) as gclid,
        {{ url_query_param('landing_pages.landing_page_location', 'fbclid') }} as fbclid

    from sessions
    left join first_sourced_events
        on sessions.session_key = first_sourced_events.session_key
    left join landing_pages
        on sessions.session_key = landing_pages.session_key

),

sources_defaulted as (

    -- no source: direct, unless Google Ads auto-tagging (gclid) says google / cpc
    select
        session_key,
        landing_page_location,
        case
            when collected_source is not null then collected_source
            when gclid is not null then 'google'
            else '(direct)'
        end as source,  -- noqa: RF04
        case
            when collected_source is not null then coalesce(collected_medium, '(not set)')
            when gclid is not null then 'cpc'
            else '(none)'
        end as medium,
        case
            when collected_source is not null or gclid is not null
                then coalesce(collected_campaign, '(not set)')
            else '(direct)'
        end as campaign,
        content,
        term,
        gclid,
        fbclid

    from click_ids_parsed

),

channels_grouped as (

    select
        sources_defaulted.session_key,
        sources_defaulted.landing_page_location,
        sources_defaulted.source,
        sources_defaulted.medium,
        sources_defaulted.campaign,
        sources_defaulted.content,
        sources_defaulted.term,
        sources_defaulted.gclid,
        sources_defaulted.fbclid,
        source_categories.source_category,
        {{ default_channel_group(
            'sources_defaulted.source',
            'sources_defaulted.medium',
            'sources_defaulted.campaign',
            'source_categories.source_category',
        ) }} as default_channel_group

    from sources_defaulted
    left join source_categories
        on lower(sources_defaulted.source) = source_categories.source

),

final as (

    select
        session_key,
        landing_page_location,
        {{ url_path('landing_page_location') }} as landing_page_path,
        source,
        medium,
        campaign,
        content,
        term,
        gclid,
        fbclid,
        source_category,
        default_channel_group

    from channels_grouped

)

select * from final
