-- Every staged event is counted once in the daily mart: totals per day must match exactly.
with

staged as (

    select
        event_date,
        count(*) as event_count
    from {{ ref('stg_ga4__events') }}
    group by event_date

),

mart as (

    select
        event_date,
        sum(event_count) as event_count
    from {{ ref('fct_web_events_daily') }}
    group by event_date

)

select
    staged.event_date,
    staged.event_count as staged_events,
    mart.event_count as mart_events
from staged
full outer join mart on staged.event_date = mart.event_date
where staged.event_count is distinct from mart.event_count
