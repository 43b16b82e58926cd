{#- The tables ML scoring writes and marts read, created empty when missing (on-run-start), so
    every model compiles to the same SQL whatever the warehouse holds: before the first scoring
    run a mart reads an empty source, never a different query. Columns as ml/attribution writes
    them (model provenance included). -#}
{% macro create_score_schema() -%}
    {%- set scored = source('scores', 'attribution_credits') -%}
    create schema if not exists {{ api.Relation.create(
        database=scored.database, schema=scored.schema
    ).include(identifier=false) }}
{%- endmacro %}

{% macro create_score_sources() -%}
    {%- set scored = source('scores', 'attribution_credits') -%}
    create table if not exists {{ scored }} (
        attribution_credit_key {{ score_type('string') }},
        touchpoint_key {{ score_type('string') }},
        conversion_id {{ score_type('string') }},
        conversion_type {{ score_type('string') }},
        conversion_date {{ score_type('date') }},
        attribution_model {{ score_type('string') }},
        touchpoint_number {{ score_type('bigint') }},
        touch_count {{ score_type('bigint') }},
        session_key {{ score_type('string') }},
        channel {{ score_type('string') }},
        source {{ score_type('string') }},
        medium {{ score_type('string') }},
        campaign {{ score_type('string') }},
        credit {{ score_type('double') }},
        attributed_revenue {{ score_type('double') }},
        model_name {{ score_type('string') }},
        model_version {{ score_type('string') }},
        mlflow_run_id {{ score_type('string') }},
        feature_snapshot_date {{ score_type('date') }},
        scored_at {{ score_type('timestamp') }}
    )
{%- endmacro %}

{#- A column type as the score tables hold it (what Arrow's types land as on each warehouse). -#}
{% macro score_type(kind) -%}
    {{ return(adapter.dispatch('score_type', 'mdp')(kind)) }}
{%- endmacro %}

{% macro default__score_type(kind) -%}
    {{ return({
        'string': 'varchar', 'date': 'date', 'bigint': 'bigint', 'double': 'double',
        'timestamp': 'timestamp with time zone'
    }[kind]) }}
{%- endmacro %}

{% macro bigquery__score_type(kind) -%}
    {{ return({
        'string': 'string', 'date': 'date', 'bigint': 'int64', 'double': 'float64',
        'timestamp': 'timestamp'
    }[kind]) }}
{%- endmacro %}
