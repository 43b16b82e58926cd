with

source as (

    select * from {{ source('salesforce', 'case') }}

),

renamed as (

    select
        id as case_id,
        casenumber as case_number,
        accountid as account_id,
        contactid as contact_id,
        subject,
        type as case_type,
        status as case_status,
        priority,
        origin,
        isclosed as is_closed,
        ownerid as owner_id,
        {{ salesforce_timestamp('closeddate') }} as closed_at,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
