with

exposures as (

    select * from {{ ref('fct_experiment_exposures') }}

),

events as (

    select * from {{ ref('stg_ga4__events') }}

),

conversion_events as (

    select 'generate_lead' as conversion_event
    union all
    select 'sign_up' as conversion_event
    union all
    select 'begin_trial' as conversion_event
    union all
    select 'purchase' as conversion_event

),

first_conversions as (

    -- a user converts once per event: later repeats are not new conversions
    select
        events.user_pseudo_id,
        events.event_name as conversion_event,
        min(events.event_at) as first_converted_at

    from events
    inner join conversion_events
        on events.event_name = conversion_events.conversion_event
    group by events.user_pseudo_id, events.event_name

),

analysed_exposures as (

    -- a user who saw several variants cannot be credited to one: left out of the results
    select
        experiment_id,
        user_pseudo_id,
        variant_id,
        first_exposed_at

    from exposures
    where not is_multi_variant

),

user_outcomes as (

    select
        analysed_exposures.experiment_id,
        analysed_exposures.variant_id,
        conversion_events.conversion_event,
        analysed_exposures.user_pseudo_id,
        first_conversions.first_converted_at >= analysed_exposures.first_exposed_at
            as converted,
        first_conversions.first_converted_at < analysed_exposures.first_exposed_at
            as converted_before_exposure

    from analysed_exposures
    cross join conversion_events
    left join first_conversions
        on
            analysed_exposures.user_pseudo_id = first_conversions.user_pseudo_id
            and conversion_events.conversion_event = first_conversions.conversion_event

),

aggregated as (

    select
        experiment_id,
        variant_id,
        conversion_event,
        count(*) as exposed_users,
        count(case when converted then 1 end) as converted_users,
        count(case when converted_before_exposure then 1 end) as converted_before_exposure_users

    from user_outcomes
    group by experiment_id, variant_id, conversion_event

),

rates_computed as (

    select
        experiment_id,
        variant_id,
        conversion_event,
        exposed_users,
        converted_users,
        converted_before_exposure_users,
        -- `/` divides as floating point in DuckDB and BigQuery alike
        converted_users / exposed_users as conversion_rate,
        exposed_users / sum(exposed_users) over (
            partition by experiment_id, conversion_event
        ) as exposed_share

    from aggregated

),

control_compared as (

    select
        *,
        max(case when variant_id = 'control' then conversion_rate end) over (
            partition by experiment_id, conversion_event
        ) as control_conversion_rate

    from rates_computed

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "experiment_id", "'|'", "variant_id", "'|'", "conversion_event"
        ])) }} as experiment_result_key,
        experiment_id,
        variant_id,
        conversion_event,
        exposed_users,
        exposed_share,
        converted_users,
        converted_before_exposure_users,
        conversion_rate,
        control_conversion_rate,
        case
            when control_conversion_rate > 0 then conversion_rate / control_conversion_rate - 1
        end as relative_lift

    from control_compared

)

select * from final
