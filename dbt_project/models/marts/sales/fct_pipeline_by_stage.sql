with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

current_stages as (

    select
        opportunity_id,
        days_in_stage

    from stages
    where is_current_stage

),

open_pipeline as (

    select
        opportunities.stage_name,
        opportunities.opportunity_type,
        count(*) as open_opportunities,
        sum(opportunities.amount) as open_amount,
        sum(opportunities.amount * opportunities.probability / 100) as weighted_amount,
        sum(opportunities.mrr) as open_mrr,
        avg(current_stages.days_in_stage) as avg_days_in_current_stage

    from opportunities
    left join current_stages on opportunities.opportunity_id = current_stages.opportunity_id
    where not opportunities.is_closed
    group by opportunities.stage_name, opportunities.opportunity_type

),

stage_durations as (

    -- completed stays only: the stage was left for a later one
    select
        stage_name,
        opportunity_type,
        min(stage_order) as stage_order,
        count(*) as completed_stage_stays,
        avg(days_in_stage) as avg_days_in_stage,
        {{ crm_median('days_in_stage') }} as median_days_in_stage

    from stages
    where not is_closed_stage and not is_current_stage
    group by stage_name, opportunity_type

),

stage_types as (

    select
        stage_name,
        opportunity_type
    from open_pipeline
    union distinct
    select
        stage_name,
        opportunity_type
    from stage_durations

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "stage_types.stage_name", "'|'", "stage_types.opportunity_type"
        ])) }} as pipeline_stage_key,
        stage_types.stage_name,
        case stage_types.stage_name
            when 'Qualification' then 1
            when 'Discovery' then 2
            when 'Proposal' then 3
            when 'Negotiation' then 4
        end as stage_order,
        stage_types.opportunity_type,
        coalesce(open_pipeline.open_opportunities, 0) as open_opportunities,
        coalesce(open_pipeline.open_amount, 0) as open_amount,
        coalesce(open_pipeline.weighted_amount, 0) as weighted_amount,
        coalesce(open_pipeline.open_mrr, 0) as open_mrr,
        open_pipeline.avg_days_in_current_stage,
        coalesce(stage_durations.completed_stage_stays, 0) as completed_stage_stays,
        stage_durations.avg_days_in_stage,
        stage_durations.median_days_in_stage

    from stage_types
    left join open_pipeline
        on
            stage_types.stage_name = open_pipeline.stage_name
            and stage_types.opportunity_type = open_pipeline.opportunity_type
    left join stage_durations
        on
            stage_types.stage_name = stage_durations.stage_name
            and stage_types.opportunity_type = stage_durations.opportunity_type

)

select * from final
