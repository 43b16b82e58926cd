{#- Parts of a page URL (GA4 page_location), null when absent. -#}

{#- Value of one query-string parameter, as written in the URL (not percent-decoded). -#}
{% macro url_query_param(url, name) -%}
    {{ regexp_extract_group(url, '[?&]' ~ name ~ '=([^&#]*)') }}
{%- endmacro %}

{#- Path without host, query string or fragment ('/' for the home page). -#}
{% macro url_path(url) -%}
    coalesce({{ regexp_extract_group(url, '^[A-Za-z]+://[^/?#]+(/[^?#]*)') }}, case when {{ url }} is not null then '/' end)
{%- endmacro %}

{#- First capturing group of `pattern` in `expr`; null when nothing matches or the group is empty. -#}
{% macro regexp_extract_group(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'mdp')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, r'{{ pattern }}'), '')
{%- endmacro %}

{% macro duckdb__regexp_extract_group(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), '')
{%- endmacro %}
