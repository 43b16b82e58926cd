with

source as (

    select * from {{ source('salesforce', 'lead') }}

),

renamed as (

    select
        id as lead_id,
        firstname as first_name,
        lastname as last_name,
        email,
        company as company_name,
        title,
        industry,
        cast(numberofemployees as {{ dbt.type_int() }}) as employee_count,
        country,
        leadsource as lead_source,
        lead_form__c as lead_form,
        status as lead_status,
        isconverted as is_converted,
        cast(converteddate as date) as converted_date,
        convertedaccountid as converted_account_id,
        convertedcontactid as converted_contact_id,
        convertedopportunityid as converted_opportunity_id,
        ownerid as owner_id,
        createdbyid as created_by_id,
        ga_client_id__c as ga_client_id,
        utm_source__c as utm_source,
        utm_medium__c as utm_medium,
        utm_campaign__c as utm_campaign,
        utm_content__c as utm_content,
        utm_term__c as utm_term,
        gclid__c as gclid,
        fbclid__c as fbclid,
        cast(mql_date__c as date) as mql_date,
        cast(sql_date__c as date) as sql_date,
        lead_score__c as lead_score,
        {{ salesforce_timestamp('lead_score_date__c') }} as lead_scored_at,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
