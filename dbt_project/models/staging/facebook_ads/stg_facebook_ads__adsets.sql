with

source as (

    select * from {{ source('facebook_ads', 'adsets') }}

),

renamed as (

    select
        id as adset_id,
        account_id,
        campaign_id,
        name as adset_name,
        status,
        configured_status,
        effective_status,
        daily_budget as daily_budget_minor_units,
        optimization_goal,
        billing_event,
        created_time as created_at,
        updated_time as updated_at,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
