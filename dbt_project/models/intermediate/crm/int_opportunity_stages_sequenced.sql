with

opportunity_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

snapshot as (

    select * from {{ ref('int_crm_snapshot_dated') }}

),

sequenced as (

    select
        opportunity_history.opportunity_history_id,
        opportunity_history.opportunity_id,
        opportunities.opportunity_type,
        opportunity_history.stage_name,
        opportunity_history.probability,
        opportunity_history.amount,
        opportunity_history.created_at as entered_at,
        lead(opportunity_history.created_at) over (
            partition by opportunity_history.opportunity_id
            order by opportunity_history.created_at, opportunity_history.opportunity_history_id
        ) as exited_at,
        row_number() over (
            partition by opportunity_history.opportunity_id
            order by opportunity_history.created_at, opportunity_history.opportunity_history_id
        ) as stage_sequence

    from opportunity_history
    inner join opportunities
        on opportunity_history.opportunity_id = opportunities.opportunity_id

),

final as (

    select
        sequenced.opportunity_history_id,
        sequenced.opportunity_id,
        sequenced.opportunity_type,
        sequenced.stage_name,
        case sequenced.stage_name
            when 'Qualification' then 1
            when 'Discovery' then 2
            when 'Proposal' then 3
            when 'Negotiation' then 4
            else 5
        end as stage_order,
        sequenced.stage_name in ('Closed Won', 'Closed Lost') as is_closed_stage,
        sequenced.stage_sequence,
        sequenced.probability,
        sequenced.amount,
        sequenced.entered_at,
        sequenced.exited_at,
        sequenced.exited_at is null as is_current_stage,
        case
            when sequenced.stage_name not in ('Closed Won', 'Closed Lost')
                then
                    {{ dbt.datediff('sequenced.entered_at',
                        'coalesce(sequenced.exited_at, snapshot.as_of_at)', 'second') }}
                    / 86400.0
        end as days_in_stage

    from sequenced
    cross join snapshot

)

select * from final
