{#- Whether ML has scored data-driven credits (markov, shapley) into scores.attribution_credits:
    the table does not exist before the first scoring run. False while parsing. -#}
{% macro scored_credits_exist() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set scored = source('scores', 'attribution_credits') -%}
    {%- set relation = adapter.get_relation(
        database=scored.database, schema=scored.schema, identifier=scored.identifier
    ) -%}
    {{ return(relation is not none) }}
{%- endmacro %}
