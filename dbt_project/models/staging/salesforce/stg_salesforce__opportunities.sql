with

source as (

    select * from {{ source('salesforce', 'opportunity') }}

),

renamed as (

    select
        id as opportunity_id,
        accountid as account_id,
        name as opportunity_name,
        type as opportunity_type,
        stagename as stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        cast(closedate as date) as close_date,
        isclosed as is_closed,
        iswon as is_won,
        leadsource as lead_source,
        campaignid as campaign_id,
        ownerid as owner_id,
        cast(mrr__c as {{ dbt.type_numeric() }}) as mrr,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('lastmodifieddate') }} as last_modified_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
