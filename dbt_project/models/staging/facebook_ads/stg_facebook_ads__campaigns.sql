with

source as (

    select * from {{ source('facebook_ads', 'campaigns') }}

),

renamed as (

    select
        id as campaign_id,
        account_id,
        name as campaign_name,
        status,
        configured_status,
        effective_status,
        objective,
        buying_type,
        daily_budget as daily_budget_minor_units,
        created_time as created_at,
        updated_time as updated_at,
        start_time as started_at,
        stop_time as stopped_at,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
