with

source as (

    select * from {{ source('salesforce', 'account') }}

),

renamed as (

    select
        id as account_id,
        name as account_name,
        type as account_type,
        industry,
        cast(numberofemployees as {{ dbt.type_int() }}) as employee_count,
        cast(annualrevenue as {{ dbt.type_numeric() }}) as annual_revenue,
        billingcountry as billing_country,
        website,
        ownerid as owner_id,
        cast(customer_since__c as date) as customer_since,
        plan__c as plan,
        churn_risk_3m__c as churn_risk_3m,
        {{ salesforce_timestamp('churn_risk_date_3m__c') }} as churn_risk_3m_scored_at,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
