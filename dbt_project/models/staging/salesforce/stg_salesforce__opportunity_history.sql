with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        id as opportunity_history_id,
        opportunityid as opportunity_id,
        stagename as stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(closedate as date) as close_date,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        createdbyid as created_by_id,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
