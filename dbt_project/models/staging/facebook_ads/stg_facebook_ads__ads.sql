with

source as (

    select * from {{ source('facebook_ads', 'ads') }}

),

renamed as (

    select
        id as ad_id,
        account_id,
        campaign_id,
        adset_id,
        name as ad_name,
        status,
        configured_status,
        effective_status,
        created_time as created_at,
        updated_time as updated_at,
        _mdp_loaded_at as loaded_at

    from source

)

select * from renamed
