-- Each conversion's ordered touchpoints: the sessions of its identities that started within
-- `attribution_lookback_days` before its anchor. A conversion with no such session keeps one
-- 'Unattributed' touchpoint, so every conversion (and all its revenue) is in the paths.
with

conversions as (

    select * from {{ ref('fct_conversions') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

conversion_clients as (

    -- each conversion's GA clients, with its anchor: the session join below then has its
    -- equality (client) and its time window between the same two inputs, so the database hashes
    -- on the client instead of range-joining every session to every conversion
    select distinct
        conversions.conversion_id,
        conversions.anchor_at,
        identities.user_pseudo_id

    from conversions
    inner join identities on conversions.lead_id = identities.lead_id

    union distinct

    select
        conversion_id,
        anchor_at,
        user_pseudo_id

    from conversions
    where user_pseudo_id is not null

),

touches as (

    select
        conversion_clients.conversion_id,
        sessions.session_key,
        sessions.started_at as touched_at,
        sessions.default_channel_group as channel,
        sessions.source,
        sessions.medium,
        sessions.campaign,
        {{ dbt.datediff("sessions.started_at", "conversion_clients.anchor_at", "second") }}
        / 86400.0 as days_before_conversion

    from conversion_clients
    inner join sessions
        on
            conversion_clients.user_pseudo_id = sessions.user_pseudo_id
            and conversion_clients.anchor_at >= sessions.started_at
            and {{ dbt.dateadd(
                "day", "-" ~ var("attribution_lookback_days"), "conversion_clients.anchor_at"
            ) }} < sessions.started_at

),

unattributed as (

    select
        conversion_id,
        cast(null as {{ dbt.type_string() }}) as session_key,
        anchor_at as touched_at,
        'Unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as source,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as medium,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(0 as {{ type_double() }}) as days_before_conversion

    from conversions
    where conversion_id not in (select touches.conversion_id from touches)

),

all_touches as (

    select * from touches
    union all
    select * from unattributed

),

numbered as (

    select
        *,
        row_number() over (
            partition by conversion_id order by touched_at, session_key
        ) as touchpoint_number,
        count(*) over (partition by conversion_id) as touch_count

    from all_touches

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "numbered.conversion_id", "'|'",
            dbt.safe_cast("numbered.touchpoint_number", api.Column.translate_type("string")),
        ])) }} as touchpoint_key,
        numbered.conversion_id,
        conversions.conversion_type,
        conversions.converted_at,
        conversions.conversion_date,
        conversions.revenue,
        numbered.touchpoint_number,
        numbered.touch_count,
        numbered.session_key,
        numbered.touched_at,
        numbered.channel,
        numbered.source,
        numbered.medium,
        numbered.campaign,
        numbered.days_before_conversion

    from numbered
    inner join conversions on numbered.conversion_id = conversions.conversion_id

)

select * from final
