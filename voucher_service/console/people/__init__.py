"""What the enterprise's and the provider's pages share: their menus, the usage-record
table and its downloads, the API-key pages, and reading a form through an API schema."""
