{{ config(
    partition_by={'field': 'purchase_date', 'data_type': 'date'}
    if target.type == 'bigquery' else none,
) }}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

purchase_events as (

    select
        coalesce(ecommerce_transaction_id, transaction_id) as transaction_id,
        user_pseudo_id,
        user_id,
        {{ ga4_session_key('user_pseudo_id', 'ga_session_id') }} as session_key,
        event_at as purchased_at,
        event_date as purchase_date,
        coalesce(purchase_revenue, event_value) as revenue,
        currency,
        item_quantity,
        unique_items,
        batch_event_index

    from events
    where event_name = 'purchase'

),

deduplicated as (

    -- a re-sent purchase tag repeats the transaction: keep its first event
    select *
    from purchase_events
    where transaction_id is not null
    qualify row_number() over (
            partition by transaction_id order by purchased_at, batch_event_index
        ) = 1

),

final as (

    select
        transaction_id,
        user_pseudo_id,
        user_id,
        session_key,
        purchased_at,
        purchase_date,
        revenue,
        currency,
        item_quantity,
        unique_items

    from deduplicated

)

select * from final
