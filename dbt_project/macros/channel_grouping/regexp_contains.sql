{#- True when `expr` (a SQL expression) contains a match of `pattern` (a regex literal written in
    the RE2 subset both warehouses share; use ^...$ for a full match). dbt has no cross-database
    regex macro: DuckDB calls it regexp_matches, BigQuery REGEXP_CONTAINS. Null in, null out. -#}
{% macro regexp_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'mdp')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(expr, pattern) -%}
    {%- if "'" in pattern -%}
        {{ exceptions.raise_compiler_error("regexp_contains: a pattern cannot hold a single quote") }}
    {%- endif -%}
    regexp_contains({{ expr }}, r'{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}
