{#- A 64-bit float type: dbt.type_float() is FLOAT, which DuckDB takes as a 32-bit REAL.
    Fractional conversions (Google splits one conversion over several clicks) need doubles. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'mdp')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return(api.Column.translate_type('float')) }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}
