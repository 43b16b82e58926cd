{#- The moment the CRM snapshot describes: the latest change recorded in Salesforce, unless the
    var crm_as_of_date pins it (e.g. to rebuild history as of a past day). -#}
{%- set as_of_override = var('crm_as_of_date', none) -%}
{%- if as_of_override -%}
    {%- set as_of_expression = "cast('" ~ as_of_override ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- else -%}
    {%- set as_of_expression = 'max(system_modstamp_at)' -%}
{%- endif -%}

with

leads as (

    select system_modstamp_at from {{ ref('stg_salesforce__leads') }}

),

opportunities as (

    select system_modstamp_at from {{ ref('stg_salesforce__opportunities') }}

),

opportunity_history as (

    select system_modstamp_at from {{ ref('stg_salesforce__opportunity_history') }}

),

accounts as (

    select system_modstamp_at from {{ ref('stg_salesforce__accounts') }}

),

subscriptions as (

    select system_modstamp_at from {{ ref('stg_salesforce__subscriptions') }}

),

cases as (

    select system_modstamp_at from {{ ref('stg_salesforce__cases') }}

),

changes as (

    select system_modstamp_at from leads
    union all
    select system_modstamp_at from opportunities
    union all
    select system_modstamp_at from opportunity_history
    union all
    select system_modstamp_at from accounts
    union all
    select system_modstamp_at from subscriptions
    union all
    select system_modstamp_at from cases

),

latest as (

    select {{ as_of_expression }} as as_of_at
    from changes

),

final as (

    select
        as_of_at,
        cast(as_of_at as date) as as_of_date,
        {{ crm_month_start('as_of_at') }} as as_of_month

    from latest

)

select * from final
