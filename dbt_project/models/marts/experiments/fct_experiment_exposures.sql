with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

exposure_events as (

    select
        experiment_id,
        user_pseudo_id,
        variant_id,
        event_at,
        batch_event_index,
        {{ ga4_session_key('user_pseudo_id', 'ga_session_id') }} as session_key

    from events
    where event_name = 'experience_impression' and experiment_id is not null

),

first_exposures as (

    select
        experiment_id,
        user_pseudo_id,
        variant_id,
        event_at as first_exposed_at,
        session_key as first_exposure_session_key

    from exposure_events
    where true
    qualify row_number() over (
            partition by experiment_id, user_pseudo_id order by event_at, batch_event_index
        ) = 1

),

exposure_counts as (

    select
        experiment_id,
        user_pseudo_id,
        count(*) as exposure_events,
        count(distinct variant_id) as variants_exposed,
        max(event_at) as last_exposed_at

    from exposure_events
    group by experiment_id, user_pseudo_id

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "first_exposures.experiment_id", "'|'", "first_exposures.user_pseudo_id"
        ])) }} as experiment_exposure_key,
        first_exposures.experiment_id,
        first_exposures.user_pseudo_id,
        first_exposures.variant_id,
        first_exposures.first_exposed_at,
        first_exposures.first_exposure_session_key,
        exposure_counts.last_exposed_at,
        exposure_counts.exposure_events,
        exposure_counts.variants_exposed,
        exposure_counts.variants_exposed > 1 as is_multi_variant

    from first_exposures
    inner join exposure_counts
        on
            first_exposures.experiment_id = exposure_counts.experiment_id
            and first_exposures.user_pseudo_id = exposure_counts.user_pseudo_id

)

select * from final
