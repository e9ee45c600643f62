"""The NHS design system look: base template, form-field rendering, static glue."""
