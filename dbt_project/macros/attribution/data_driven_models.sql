{#- The data-driven attribution models (markov, shapley) ML has scored into
    scores.attribution_credits, or [] before the first scoring run (or while parsing). -#}
{% macro data_driven_models() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set scored = source('scores', 'attribution_credits') -%}
    {%- set relation = adapter.get_relation(
        database=scored.database, schema=scored.schema, identifier=scored.identifier
    ) -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = run_query(
        "select distinct attribution_model from " ~ relation ~ " order by 1"
    ) -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}
