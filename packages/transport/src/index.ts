export { HttpDelivery } from "./http-delivery.js"
export type { HttpDeliveryOptions } from "./http-delivery.js"
export { WsSubscription } from "./ws-subscription.js"
export type { MinimalWebSocket, WebSocketFactory } from "./ws-subscription.js"
