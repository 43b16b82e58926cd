with

source as (

    select * from {{ source('salesforce', 'campaign_member') }}

),

renamed as (

    select
        id as campaign_member_id,
        campaignid as campaign_id,
        leadid as lead_id,
        contactid as contact_id,
        status as member_status,
        hasresponded as has_responded,
        cast(firstrespondeddate as date) as first_responded_date,
        {{ salesforce_timestamp('createddate') }} as created_at,
        {{ salesforce_timestamp('systemmodstamp') }} as system_modstamp_at,
        _mdp_loaded_at as loaded_at

    from source
    where not isdeleted

)

select * from renamed
