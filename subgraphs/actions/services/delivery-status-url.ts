/** The public URL of a channel's delivery-status callback: what a provider is given to call. */
export function deliveryStatusUrl(publicUrl: string, channelId: string): string {
  return `${publicUrl}/v1/channels/${channelId}/delivery-status`;
}
