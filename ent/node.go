package ent

// IsNode marks the types that the GraphQL API exposes through the Node interface.
func (*Product) IsNode()        {}
func (*ProductOption) IsNode()  {}
func (*ProductVariant) IsNode() {}
func (*Collection) IsNode()     {}
func (*Menu) IsNode()           {}
func (*MenuItem) IsNode()       {}
func (*Page) IsNode()           {}
func (*Shop) IsNode()           {}

// IsMenuItemResource marks the types a menu item can link to.
func (*Product) IsMenuItemResource()    {}
func (*Collection) IsMenuItemResource() {}
func (*Page) IsMenuItemResource()       {}
