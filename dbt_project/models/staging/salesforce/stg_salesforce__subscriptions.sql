with

source as (

    select * from {{ source('salesforce', 'subscription') }}

),

renamed as (

    select
        id as subscription_id,
        name as subscription_name,
        account__c as account_id,
        plan__c as plan,
        cast(seats__c as {{ dbt.type_int() }}) as seats,
        cast(mrr__c as {{ dbt.type_numeric() }}) as mrr,
        cast(start_date__c as date) as start_date,
        cast(end_date__c as date) as end_date,
        status__c as subscription_status,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
