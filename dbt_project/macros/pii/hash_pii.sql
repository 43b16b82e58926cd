{#- The only way a person's e-mail or phone reaches a mart: lower-cased, trimmed, SHA-256 as
    64 lowercase hex characters (the form ad platforms accept for customer matching).
    Blank values give null. -#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'mdp')(column)) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    sha2(nullif(lower(trim({{ column }})), ''), 256)
{%- endmacro %}

{% macro duckdb__hash_pii(column) -%}
    sha256(nullif(lower(trim({{ column }})), ''))
{%- endmacro %}

{% macro bigquery__hash_pii(column) -%}
    to_hex(sha256(nullif(lower(trim({{ column }})), '')))
{%- endmacro %}

{#- True when a text value is a SHA-256 digest as hash_pii writes it. -#}
{% macro is_sha256_hex(expression) -%}
    {{ return(adapter.dispatch('is_sha256_hex', 'mdp')(expression)) }}
{%- endmacro %}

{% macro default__is_sha256_hex(expression) -%}
    ({{ expression }} ~ '^[0-9a-f]{64}$')
{%- endmacro %}

{% macro duckdb__is_sha256_hex(expression) -%}
    regexp_full_match({{ expression }}, '[0-9a-f]{64}')
{%- endmacro %}

{% macro bigquery__is_sha256_hex(expression) -%}
    regexp_contains({{ expression }}, r'^[0-9a-f]{64}$')
{%- endmacro %}
