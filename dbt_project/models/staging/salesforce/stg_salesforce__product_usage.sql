with

source as (

    select * from {{ source('salesforce', 'product_usage') }}

),

renamed as (

    select
        id as product_usage_id,
        name as product_usage_name,
        account__c as account_id,
        cast(month__c as date) as usage_month,
        cast(active_users__c as {{ dbt.type_int() }}) as active_users,
        cast(events__c as {{ dbt.type_int() }}) as events,
        cast(seats__c as {{ dbt.type_int() }}) as seats,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
