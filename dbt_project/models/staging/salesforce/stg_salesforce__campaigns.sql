with

source as (

    select * from {{ source('salesforce', 'campaign') }}

),

renamed as (

    select
        id as campaign_id,
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        cast(startdate as date) as start_date,
        cast(enddate as date) as end_date,
        isactive as is_active,
        cast(budgetedcost as {{ dbt.type_numeric() }}) as budgeted_cost,
        cast(actualcost as {{ dbt.type_numeric() }}) as actual_cost,
        ownerid as owner_id,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
