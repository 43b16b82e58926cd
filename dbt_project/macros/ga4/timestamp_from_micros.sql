{#- Microseconds since the epoch (GA4's event_timestamp) as a UTC timestamp. -#}
{% macro timestamp_from_micros(column) -%}
    {{ return(adapter.dispatch('timestamp_from_micros', 'mdp')(column)) }}
{%- endmacro %}

{% macro default__timestamp_from_micros(column) -%}
    timestamp_micros({{ column }})
{%- endmacro %}

{% macro duckdb__timestamp_from_micros(column) -%}
    make_timestamp({{ column }})
{%- endmacro %}
