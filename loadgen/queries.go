package loadgen

// The documents below are those a Next.js Commerce storefront written for Shopify sends, with its
// fragments, so that the load is the shape of real page views rather than minimal queries.
const (
	imageFragment = `fragment image on Image { url altText width height }`

	productFragment = `fragment product on Product {
  id handle availableForSale title description descriptionHtml
  options { id name values }
  priceRange { maxVariantPrice { amount currencyCode } minVariantPrice { amount currencyCode } }
  variants(first: 250) { edges { node { id title availableForSale selectedOptions { name value } price { amount currencyCode } } } }
  featuredImage { ...image }
  images(first: 20) { edges { node { ...image } } }
  seo { title description }
  tags updatedAt
}
` + imageFragment

	// productCardFragment is a product in a long listing: what a grid tile shows.
	productCardFragment = `fragment productCard on Product {
  id handle title availableForSale
  priceRange { minVariantPrice { amount currencyCode } }
  featuredImage { ...image }
}
` + imageFragment

	cartFragment = `fragment cart on Cart {
  id checkoutUrl totalQuantity
  cost { subtotalAmount { amount currencyCode } totalAmount { amount currencyCode } totalTaxAmount { amount currencyCode } }
  lines(first: 100) { edges { node { id quantity
    cost { totalAmount { amount currencyCode } }
    merchandise { ... on ProductVariant { id title selectedOptions { name value } product { ...product } } } } } }
}
` + productFragment

	collectionsQuery = `query getCollections { collections(first: 10) {
  edges { node { handle title description seo { title description } updatedAt } } } }`

	collectionProductsQuery = `query getCollectionProducts($handle: String!, $first: Int!) {
  collection(handle: $handle) { products(first: $first) { edges { node { ...product } } } }
}
` + productFragment

	productQuery = `query getProduct($handle: String!) { product(handle: $handle) { ...product } }
` + productFragment

	recommendationsQuery = `query getProductRecommendations($productId: ID!) {
  productRecommendations(productId: $productId) { ...product }
}
` + productFragment

	searchQuery = `query getProducts($query: String, $sortKey: ProductSortKeys, $reverse: Boolean, $first: Int!) {
  products(query: $query, sortKey: $sortKey, reverse: $reverse, first: $first) { edges { node { ...product } } }
}
` + productFragment

	productsPageQuery = `query getProductsPage($first: Int!, $after: String, $sortKey: ProductSortKeys) {
  products(first: $first, after: $after, sortKey: $sortKey) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...productCard } }
  }
}
` + productCardFragment

	cartCreateQuery = `mutation createCart($lines: [CartLineInput!]) {
  cartCreate(input: {lines: $lines}) { cart { ...cart } userErrors { field message code } }
}
` + cartFragment

	cartLinesAddQuery = `mutation addToCart($cartId: ID!, $lines: [CartLineInput!]!) {
  cartLinesAdd(cartId: $cartId, lines: $lines) { cart { ...cart } userErrors { field message code } }
}
` + cartFragment

	cartLinesUpdateQuery = `mutation editCartItems($cartId: ID!, $lines: [CartLineUpdateInput!]!) {
  cartLinesUpdate(cartId: $cartId, lines: $lines) { cart { ...cart } userErrors { field message code } }
}
` + cartFragment

	cartQuery = `query getCart($cartId: ID!) { cart(id: $cartId) { ...cart } }
` + cartFragment

	checkoutCartQuery = `mutation checkoutCart($lines: [CartLineInput!], $email: String!) {
  cartCreate(input: {lines: $lines, buyerIdentity: {email: $email, countryCode: US},
    delivery: {addresses: [{selected: true, address: {deliveryAddress: {firstName: "Load", lastName: "Test",
      address1: "1 Main St", city: "Columbus", provinceCode: "OH", countryCode: US, zip: "43004"}}}]}}) {
    cart { id cost { totalAmount { amount currencyCode } } deliveryGroups(first: 1) { nodes { id deliveryOptions { handle } } } }
    userErrors { field message code }
  }
}`

	selectDeliveryQuery = `mutation selectDelivery($cartId: ID!, $groupId: ID!, $handle: String!) {
  cartSelectedDeliveryOptionsUpdate(cartId: $cartId, selectedDeliveryOptions: [{deliveryGroupId: $groupId, deliveryOptionHandle: $handle}]) {
    cart { id cost { totalAmount { amount currencyCode } } }
    userErrors { field message code }
  }
}`

	paymentQuery = `mutation pay($cartId: ID!, $amount: Decimal!, $currency: CurrencyCode!, $session: String!) {
  cartPaymentUpdate(cartId: $cartId, payment: {amount: {amount: $amount, currencyCode: $currency},
    directPaymentMethod: {sessionId: $session, billingAddress: {address1: "1 Main St", city: "Columbus", country: "US", zip: "43004"}}}) {
    cart { id }
    userErrors { field message code }
  }
}`

	submitQuery = `mutation submit($cartId: ID!, $token: String!) {
  cartSubmitForCompletion(cartId: $cartId, attemptToken: $token) {
    result {
      __typename
      ... on SubmitSuccess { attemptId }
      ... on SubmitAlreadyAccepted { attemptId }
      ... on SubmitFailed { errors { code message } }
      ... on SubmitThrottled { pollAfter }
    }
    userErrors { field message code }
  }
}`

	attemptQuery = `query attempt($attemptId: String!) {
  cartCompletionAttempt(attemptId: $attemptId) {
    __typename
    ... on CartCompletionSuccess { orderId }
    ... on CartCompletionProcessing { pollDelay }
    ... on CartCompletionFailed { errors { code message } }
  }
}`
)
