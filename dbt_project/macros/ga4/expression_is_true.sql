{#- Generic test: every row satisfies `expression` (a business rule written as SQL). -#}
{% test expression_is_true(model, expression) -%}

select *
from {{ model }}
where not ({{ expression }})

{%- endtest %}
