with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

aggregated as (

    select
        event_date,
        event_name,
        count(*) as event_count,
        count(distinct user_pseudo_id) as user_count,
        count(
            distinct case
                when ga_session_id is not null
                    then {{ dbt.concat(["user_pseudo_id", "'-'",
                        dbt.safe_cast("ga_session_id", api.Column.translate_type("string"))]) }}
            end
        ) as session_count

    from events
    group by event_date, event_name

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("event_date", api.Column.translate_type("string")), "'|'", "event_name"
        ])) }} as web_events_daily_key,
        event_date,
        event_name,
        event_count,
        user_count,
        session_count

    from aggregated

)

select * from final
