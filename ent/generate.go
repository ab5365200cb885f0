package ent

//go:generate go run entgo.io/ent/cmd/ent generate --feature sql/modifier,sql/execquery,sql/upsert,sql/lock --template ./template ./schema
