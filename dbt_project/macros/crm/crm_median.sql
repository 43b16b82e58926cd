{#- Median of a numeric expression as an aggregate (group by). BigQuery has no exact median
    aggregate: approx_quantiles with two buckets returns the median, exact on small groups. -#}
{% macro crm_median(expression) -%}
    {{ return(adapter.dispatch('crm_median', 'mdp')(expression)) }}
{%- endmacro %}

{% macro default__crm_median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__crm_median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro bigquery__crm_median(expression) -%}
    approx_quantiles({{ expression }}, 2)[offset(1)]
{%- endmacro %}
